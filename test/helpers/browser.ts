/** The scripted browser (cookie jar, reads and posts the server's forms) is the plugin author's kit's. */
export { parseForms, ScriptedBrowser, type Form, type Page } from 'authplane/testing';
