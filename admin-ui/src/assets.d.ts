/** Stylesheets are bundled as text (esbuild's `text` loader) and adopted through Lit's `unsafeCSS`. */
declare module '*.css' {
  const text: string;
  export default text;
}
