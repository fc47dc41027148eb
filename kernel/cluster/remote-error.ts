/** An error the node asked gave back: its errno and message, as its own client would have seen them. */
export class RemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
