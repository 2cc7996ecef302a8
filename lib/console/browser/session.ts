/**
 * The credentials the console signed in with: in this tab's session storage only (never a
 * cookie, never local storage), so they go when the tab goes or on "Sign out".
 */
export interface Session {
  /** An account SID (AC…) or an API key SID (SK…). */
  readonly username: string;
  /** The auth token or the API key's secret. */
  readonly secret: string;
  /** The workspace the console opens on. */
  readonly workspace: string;
}

const KEY = 'taskrouter-console';
/** Where the session lives when the browser refuses storage (private modes): this page only. */
let memory: Session | null = null;

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw === null) return memory;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.username === 'string' && typeof s.secret === 'string' && typeof s.workspace === 'string') {
      return { username: s.username, secret: s.secret, workspace: s.workspace };
    }
  } catch {
    // Unreadable: signed out.
  }
  return memory;
}

export function saveSession(session: Session): void {
  memory = session;
  try {
    sessionStorage.setItem(KEY, JSON.stringify(session));
  } catch {
    // Storage refused: the session lasts as long as this page.
  }
}

export function clearSession(): void {
  memory = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}
