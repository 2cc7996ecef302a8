/**
 * What a request names, always under its account and workspace: a workspace belongs to the
 * account that created it, so every lookup and every key starts with both (no SID another
 * account knows reaches a record that is not its own; SIDs are identifiers, not secrets).
 */
export interface WorkspaceScope {
  readonly accountSid: string;
  readonly workspaceSid: string;
}

export interface TaskScope extends WorkspaceScope {
  readonly taskSid: string;
}

export interface WorkerScope extends WorkspaceScope {
  readonly workerSid: string;
}
