// Unknown fields are dropped, whatever their name. Elysia's "typebox" normalisation keeps a key
// when `key in schema.properties`, and `in` also finds what Object.prototype holds: a field named
// toString, constructor, __proto__ or hasOwnProperty survived the cleaning and then failed the
// schema as an unexpected property, while `foo` was dropped. Object schemas whose `properties`
// have no prototype answer `in` with their own fields only.

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: unknown;
  items?: SchemaNode | SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  not?: SchemaNode;
}

function isNode(value: unknown): value is SchemaNode {
  return value !== null && typeof value === "object";
}

/** Gives every object schema under `root` prototype-less `properties` (in place; idempotent). */
export function ownFieldsOnly(root: unknown): void {
  const stack: unknown[] = [root];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (!isNode(node) || seen.has(node)) continue;
    seen.add(node);
    if (isNode(node.properties)) {
      if (Object.getPrototypeOf(node.properties) !== null) Object.setPrototypeOf(node.properties, null);
      stack.push(...Object.values(node.properties));
    }
    if (isNode(node.patternProperties)) stack.push(...Object.values(node.patternProperties));
    if (isNode(node.additionalProperties)) stack.push(node.additionalProperties);
    if (Array.isArray(node.items)) stack.push(...node.items);
    else stack.push(node.items);
    stack.push(...(node.anyOf ?? []), ...(node.allOf ?? []), ...(node.oneOf ?? []), node.not);
  }
}

interface RouteLike {
  hooks: { body?: unknown; query?: unknown; params?: unknown; headers?: unknown };
}

/**
 * Elysia rebuilds a query schema to coerce its strings (fresh `properties`, with a prototype), so
 * there the names Object.prototype holds would still be refused: a query object schema lets
 * unknown parameters through instead. Routes read only the parameters they declare.
 */
function allowUnknownParameters(schema: unknown): void {
  const node = schema as { type?: unknown; additionalProperties?: unknown } | undefined;
  if (node?.type === "object" && !("additionalProperties" in node)) node.additionalProperties = true;
}

/** Applies ownFieldsOnly to the request schemas of every route (once, when the app is built). */
export function dropUnknownFieldsOfAnyName(routes: readonly RouteLike[]): void {
  for (const { hooks } of routes) {
    for (const schema of [hooks.body, hooks.query, hooks.params, hooks.headers]) ownFieldsOnly(schema);
    allowUnknownParameters(hooks.query);
  }
}
