/** `<ap-icon name="apps">`: one of the shell's icons (decorative: the label beside it names the thing). */
import { LitElement, css, svg } from 'lit';
import { define } from '../../app/define.js';

const PATHS: Record<string, string> = {
  home: 'M3 11 12 3l9 8v10h-6v-6H9v6H3z',
  apps: 'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z',
  people: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21c0-4 3-6.5 7-6.5s7 2.5 7 6.5zM17 11a3 3 0 1 0 0-6v6zM18 14c2.5.5 4 2.5 4 7h-4.5c0-3-1-5-2.5-6.5z',
  key: 'M14 3a7 7 0 0 0-6.7 9L2 17.3V22h4.7l1-1v-2h2v-2h2l1.3-1.3A7 7 0 1 0 14 3zm2 6a2 2 0 1 1 0-4 2 2 0 0 1 0 4z',
  shield: 'M12 2 4 5v6c0 5 3.5 9.5 8 11 4.5-1.5 8-6 8-11V5z',
  list: 'M4 5h16v2H4zm0 6h16v2H4zm0 6h16v2H4z',
  settings: 'M10 2h4l.6 3 2.2 1.3 2.9-1 2 3.4-2.3 2v2.6l2.3 2-2 3.4-2.9-1-2.2 1.3L14 22h-4l-.6-3-2.2-1.3-2.9 1-2-3.4 2.3-2v-2.6l-2.3-2 2-3.4 2.9 1L9.4 5zM12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6z',
  link: 'M10.6 13.4a4 4 0 0 0 5.7 0l3.5-3.5a4 4 0 0 0-5.7-5.7l-1.4 1.4 1.4 1.4 1.4-1.4a2 2 0 0 1 2.9 2.9l-3.5 3.5a2 2 0 0 1-2.9 0zm2.8-2.8a4 4 0 0 0-5.7 0l-3.5 3.5a4 4 0 0 0 5.7 5.7l1.4-1.4-1.4-1.4-1.4 1.4a2 2 0 0 1-2.9-2.9l3.5-3.5a2 2 0 0 1 2.9 0z',
  sun: 'M12 7a5 5 0 1 0 0 10 5 5 0 0 0 0-10zM11 1h2v3h-2zm0 19h2v3h-2zM1 11h3v2H1zm19 0h3v2h-3zM4.2 2.8l2.1 2.1-1.4 1.4-2.1-2.1zm14.9 14.9 2.1 2.1-1.4 1.4-2.1-2.1zM2.8 19.8l2.1-2.1 1.4 1.4-2.1 2.1zM17.7 4.9l2.1-2.1 1.4 1.4-2.1 2.1z',
  moon: 'M20 15.5A8.5 8.5 0 0 1 8.5 4a8.5 8.5 0 1 0 11.5 11.5z',
};

export const ICON_NAMES = Object.keys(PATHS);

export class ApIcon extends LitElement {
  static override properties = { name: { type: String } };
  static override styles = css`
    :host { display: inline-flex; width: 20px; height: 20px; flex: none; }
    svg { width: 100%; height: 100%; fill: currentColor; }
  `;
  declare name: string;

  constructor() {
    super();
    this.name = 'list';
  }

  override render() {
    return svg`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=${PATHS[this.name] ?? PATHS.list!}></path></svg>`;
  }
}
define('ap-icon', ApIcon);
