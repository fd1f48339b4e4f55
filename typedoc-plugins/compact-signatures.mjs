// @ts-check
/**
 * A TypeDoc theme ("onboarding": the default theme plus one change) that leaves out the parts of
 * a signature's description that would only repeat the signature printed right above it:
 *
 * - the "Parameters" list, when no parameter has a comment or a default value and none has an
 *   inline object type whose members the list would document;
 * - the "Type Parameters" list, when no type parameter has a comment;
 * - the "Returns" line, when there is no `@returns` text and the return type is not an inline
 *   object type (whose members it would document).
 *
 * - the member types in the printed type of a variable whose type is an object literal with
 *   documented members, one of them more than a literal or a plain name (`ERROR_CATALOG`, `PROBLEM_CATALOG`): the "Type Declaration" list right
 *   below prints each member's type again, with its comment, so the header names the members
 *   only (`{ readonly configuration: …; … }`). The catalog pages were half repeats (11,700 px).
 *
 * Anything with more to say is kept as it is. Why: every method of an interface is printed three
 * times (the interface preview, the member's signature, then these lists); on `OnboardingEngine`
 * the repeats were a fifth of the page, between each method's signature and its example.
 * Select it with `"theme": "onboarding"`.
 */
import {
  DeclarationReflection,
  DefaultTheme,
  DefaultThemeRenderContext,
  ReflectionKind,
  ReflectionType,
  UnknownType,
} from "typedoc";

/**
 * Whether a type contains an inline type whose details the list would document: an object type
 * with members, or (`functions`) a function type, whose parameters a callback's list shows.
 *
 * @param {import("typedoc").SomeType | undefined} type
 * @param {boolean} [functions]
 * @returns {boolean}
 */
function hasInlineObject(type, functions = true) {
  if (type === undefined) return false;
  /** @param {import("typedoc").SomeType} inner */
  const inside = (inner) => hasInlineObject(inner, functions);
  switch (type.type) {
    case "reflection": {
      const declaration = type.declaration;
      const members = (declaration.children?.length ?? 0) + (declaration.indexSignatures?.length ?? 0);
      return members > 0 || (functions && (declaration.signatures?.length ?? 0) > 0);
    }
    case "union":
    case "intersection":
      return type.types.some(inside);
    case "array":
      return inside(type.elementType);
    case "reference":
      return (type.typeArguments ?? []).some(inside);
    default:
      return false;
  }
}

/**
 * Whether the "Parameters" list of a signature would add nothing to its printed signature.
 *
 * @param {import("typedoc").SignatureReflection} signature
 */
function parametersAreRedundant(signature) {
  return (signature.parameters ?? []).every(
    (parameter) => !parameter.hasComment() && parameter.defaultValue === undefined && !hasInlineObject(parameter.type),
  );
}

/**
 * The signature as the description should see it: the same reflection without the parts that
 * only repeat its printed signature (the description reads nothing else of them).
 *
 * @param {import("typedoc").SignatureReflection} signature
 * @returns {import("typedoc").SignatureReflection}
 */
function withoutRepeats(signature) {
  /** @type {PropertyDescriptorMap} */
  const hidden = {};
  if (parametersAreRedundant(signature)) hidden["parameters"] = { value: undefined };
  if ((signature.typeParameters ?? []).every((parameter) => !parameter.hasComment())) {
    hidden["typeParameters"] = { value: undefined };
  }
  if (signature.comment?.getTag("@returns") === undefined && !hasInlineObject(signature.type, false)) {
    hidden["type"] = { value: undefined };
  }
  return Object.keys(hidden).length === 0 ? signature : Object.create(signature, hidden);
}

/** The real type of each header-only type made by {@link withMemberNamesOnly}. */
const realTypes = new WeakMap();

/**
 * The declaration as its header should print it: a variable whose type is an object literal with
 * a documented member gets that literal with every member's type shown as `…` (the
 * "Type Declaration" list prints the real types, see the `typeDeclaration` wrapper).
 *
 * @param {import("typedoc").DeclarationReflection} declaration
 * @returns {import("typedoc").DeclarationReflection}
 */
function withMemberNamesOnly(declaration) {
  const type = declaration.type;
  if (!declaration.kindOf(ReflectionKind.Variable) || type?.type !== "reflection") return declaration;
  const members = type.declaration.children ?? [];
  if (members.length === 0 || !members.some((member) => member.hasComment())) return declaration;
  // Literals, keywords and plain names are as short as `…`: vocabularies keep their values.
  const short = (/** @type {import("typedoc").SomeType | undefined} */ member) =>
    member === undefined ||
    member.type === "literal" ||
    member.type === "intrinsic" ||
    (member.type === "reference" && (member.typeArguments ?? []).length === 0);
  if (members.every((member) => short(member.type))) return declaration;
  const literal = new DeclarationReflection(type.declaration.name, type.declaration.kind, declaration);
  literal.children = members.map((member) => {
    const named = new DeclarationReflection(member.name, member.kind, literal);
    named.flags = member.flags;
    named.type = new UnknownType("…");
    return named;
  });
  const headerType = new ReflectionType(literal);
  realTypes.set(headerType, type);
  return Object.create(declaration, { type: { value: headerType } });
}

class CompactContext extends DefaultThemeRenderContext {
  /** @param {ConstructorParameters<typeof DefaultThemeRenderContext>} args */
  constructor(...args) {
    super(...args);
    const body = this.memberSignatureBody;
    /** @type {typeof body} */
    this.memberSignatureBody = (signature, options) => body(withoutRepeats(signature), options);
    const declaration = this.memberDeclaration;
    /** @type {typeof declaration} */
    this.memberDeclaration = (reflection) => declaration(withMemberNamesOnly(reflection));
    const details = this.typeDeclaration;
    /** @type {typeof details} */
    this.typeDeclaration = (reflection, type) => details(reflection, realTypes.get(type) ?? type);
  }
}

class CompactTheme extends DefaultTheme {
  /** @param {import("typedoc").Renderer} renderer */
  constructor(renderer) {
    super(renderer);
    this.ContextClass = CompactContext;
  }
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.renderer.defineTheme("onboarding", CompactTheme);
}
