/** The pages the server's plugins registered (`adminPages`), as the bundle's entry hands them to the shell. */
export interface PageEntry {
  path: string;
  title: string;
  icon: string;
  element: string;
  permission: 'admin';
  section: string;
  order: number;
}

/** What the server tells the page it serves (data-config on <ap-app>): how to sign in with a user's login. */
export interface ConsoleConfig {
  /** A plugin taps `adminAuthenticate` (admin-ui-login): ask it how users sign in. */
  userSignInOffered?: boolean;
  /** Absent when the server offers no user sign-in (no oauth or users plugin): the API key only. */
  userSignIn?: {
    authorizationEndpoint: string;
    tokenEndpoint: string;
    revocationEndpoint?: string;
    clientId: string;
    redirectUri: string;
    resource: string;
    scope: string;
  };
}

const SECTIONS = ['Overview', 'Manage', 'Security', 'System'];

/** Navigation order: by section (known sections first, in their order), then `order`, then title. */
export function sortPages(pages: readonly PageEntry[]): PageEntry[] {
  const rank = (s: string) => (SECTIONS.includes(s) ? SECTIONS.indexOf(s) : SECTIONS.length);
  return [...pages].sort((a, b) => rank(a.section) - rank(b.section) || a.section.localeCompare(b.section) || a.order - b.order || a.title.localeCompare(b.title));
}

/** The page a location hash names (`#/clients`, `#/clients/ap_123`: the first segment), else the first page. */
export function routeOf(hash: string, pages: readonly PageEntry[]): { page: PageEntry | undefined; rest: string } {
  const path = hash.replace(/^#\/?/, '');
  const [first = '', ...rest] = path.split('/');
  const page = pages.find((p) => p.path === first) ?? (first === '' ? pages[0] : undefined);
  return { page, rest: rest.join('/') };
}
