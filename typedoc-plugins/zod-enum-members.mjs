// @ts-check
/**
 * Documents the synthetic members TypeScript infers for `z.enum(["a", "b"])`: zod types such an
 * enum as the object `{ a: "a"; b: "b" }`, whose members have no declaration in our source to
 * put a comment on. With `validation.notDocumented` every such member would be a warning. This
 * plugin gives exactly those members (a property of an inline object type whose type is the
 * string literal equal to its own name, and which has no comment) the summary "The value `a`.".
 * Nothing else is touched, so a real undocumented property still fails the build.
 */
import { Comment, Converter, ReflectionKind } from "typedoc";

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const reflection of context.project.getReflectionsByKind(ReflectionKind.Property)) {
      if (reflection.comment !== undefined) continue;
      const parent = reflection.parent;
      if (parent === undefined || parent.kind !== ReflectionKind.TypeLiteral) continue;
      const type = /** @type {import("typedoc").DeclarationReflection} */ (reflection).type;
      const literal =
        (type?.type === "literal" && type.value === reflection.name) ||
        // Deep inside nested object types TypeDoc keeps the literal as text: "a".
        (type?.type === "unknown" && type.name === JSON.stringify(reflection.name));
      if (!literal) continue;
      reflection.comment = new Comment([{ kind: "text", text: `The value \`${reflection.name}\`.` }]);
    }
  });
}
