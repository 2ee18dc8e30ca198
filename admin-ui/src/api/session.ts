/**
 * Who the console acts as: the admin API key pasted at sign-in, or a signed-in user's access token. Kept in
 * sessionStorage (this tab only, gone when it closes), sent as `Authorization: Bearer …` like any admin API client.
 */

export type Credential =
  | { kind: 'key'; secret: string }
  | { kind: 'user'; secret: string; expiresAt: number; name: string };

const STORAGE_KEY = 'authplane.admin.credential';

export function loadCredential(now = Date.now()): Credential | undefined {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Credential;
    if (parsed.kind === 'user' && parsed.expiresAt <= now) {
      clearCredential();
      return undefined;
    }
    return typeof parsed.secret === 'string' && parsed.secret ? parsed : undefined;
  } catch {
    clearCredential();
    return undefined;
  }
}

export function saveCredential(credential: Credential): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
}

export function clearCredential(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
