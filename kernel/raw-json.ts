/** A result that is already JSON (bytes made elsewhere, e.g. by SQLite): the server sends it as it is. */
export class RawJson<T = unknown> {
  /** Carries the type of the value the bytes encode; never set. */
  declare readonly type?: T;

  constructor(readonly bytes: Buffer) {}
}
