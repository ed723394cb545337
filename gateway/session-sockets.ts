/**
 * The open sockets of one browser session. Almost every session has one (its login page),
 * held inline; a `Set` is made only when a second opens (another tab), since an empty `Set`
 * alone costs some 150 bytes of V8 heap, a tenth of what an idle session costs in all
 * (BENCHMARKS.md, "Sessions held"). Iteration is in insertion order, and a socket deleted
 * meanwhile (closed by a failed send) is not visited; sockets open only from the event loop,
 * never during an iteration.
 */
export class SessionSockets<Socket> implements Iterable<Socket> {
  #one: Socket | undefined = undefined;
  #more: Set<Socket> | undefined = undefined;

  get size(): number {
    if (this.#more !== undefined) return this.#more.size;
    return this.#one === undefined ? 0 : 1;
  }

  add(socket: Socket): this {
    if (this.#more !== undefined) {
      this.#more.add(socket);
    } else if (this.#one === undefined) {
      this.#one = socket;
    } else if (this.#one !== socket) {
      // Once a session has had two tabs it keeps the Set: iterations under way stay valid.
      this.#more = new Set([this.#one, socket]);
      this.#one = undefined;
    }
    return this;
  }

  delete(socket: Socket): boolean {
    if (this.#more !== undefined) return this.#more.delete(socket);
    if (this.#one !== socket || socket === undefined) return false;
    this.#one = undefined;
    return true;
  }

  has(socket: Socket): boolean {
    if (this.#more !== undefined) return this.#more.has(socket);
    return socket !== undefined && this.#one === socket;
  }

  *[Symbol.iterator](): Iterator<Socket> {
    if (this.#more !== undefined) {
      yield* this.#more;
      return;
    }
    if (this.#one !== undefined) yield this.#one;
  }
}
