/** A list of our own names (scopes) for an error description, cut at a length a redirect URL carries easily. */
export function clip(names: readonly string[], max = 300): string {
  const text = names.join(' ');
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
