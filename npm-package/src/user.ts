/** Reads who a token is for: the `sub` claim of a JWT, decoded without verifying it. */

/** The token's `sub`, or `undefined` when it isn't a JWT with a string `sub`. */
export function subjectOf(token: unknown): string | undefined {
  if (typeof token !== "string") return undefined;
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const sub: unknown = JSON.parse(json).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}
