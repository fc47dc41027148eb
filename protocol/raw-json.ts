/** A result that is already JSON (bytes made elsewhere, e.g. by SQLite): the server sends it as it is. */
export class RawJson<T = unknown> {
  /** Carries the type of the value the bytes encode; never set. */
  declare readonly type?: T;

  /** `release` is called once the bytes have been written (or dropped): their buffer may be reused. */
  constructor(
    readonly bytes: Buffer,
    readonly release: () => void = () => undefined,
  ) {}
}
