// @ts-check
/**
 * ESLint (flat config) with typescript-eslint's type-aware rules. Formatting is Prettier's job
 * (`npm run format:check`); this config only finds mistakes.
 */
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "docs-site/**",
      ".tmp/**",
      "coverage/**",
      "node_modules/**",
      "examples/rest-api/public/**",
      "typedoc-plugins/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Port methods are async so that a synchronous throw becomes a rejection, with or without an await inside.
      "@typescript-eslint/require-await": "off",
      // Rethrowing a caught value as a rejection keeps it as it was.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
    },
  },
  {
    // Each error class merges an interface of its data, declared once in the error catalog, and
    // copies the values in its constructor: the merge is the point, not an accident.
    files: ["src/record/errors.ts", "src/http/errors.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-declaration-merging": "off",
      "@typescript-eslint/no-empty-object-type": "off",
    },
  },
  {
    // Tests, benchmarks, examples and scripts may assert non-null on fixtures they just built.
    files: ["test/**", "bench/**", "examples/**", "scripts/**"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      // expect(store.method) and spies pass methods around on purpose.
      "@typescript-eslint/unbound-method": "off",
      // expect.any(String) and friends are typed `any` by vitest.
      "@typescript-eslint/no-unsafe-assignment": "off",
      // `typeof import("...")` is the way to name a module's type in a test that loads it lazily.
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { disallowTypeAnnotations: false, fixStyle: "inline-type-imports" },
      ],
    },
  },
  {
    // Type tests declare names only to assert on their types.
    files: ["test/types/**"],
    rules: { "@typescript-eslint/no-unused-vars": "off", "@typescript-eslint/no-unsafe-call": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
  },
);
