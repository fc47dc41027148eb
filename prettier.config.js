// The formatter (issue 48.4): a line cap cannot be met with 200-character lines. `npm run format` writes,
// `npm run format:check` (part of `npm run lint`) fails on a file it would change.
// Width 120 and single quotes are the code's own; the rest are Prettier's defaults, which it already
// follows (semicolons, trailing commas, two spaces, parentheses around arrow parameters).
/** @type {import('prettier').Config} */
export default {
  printWidth: 120,
  singleQuote: true,
};
