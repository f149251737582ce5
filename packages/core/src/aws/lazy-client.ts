/** What the adapters use of an AWS SDK v3 client. */
interface SdkClient {
  // biome-ignore lint/suspicious/noExplicitAny: forwarded to the real client, whose overloads type it.
  send(command: any, options?: any): Promise<unknown>;
  destroy(): void;
}

/**
 * A client made on its first request: the SDK package is loaded then, not when the Lambda starts.
 * A function loads only the clients its invocation uses (a deferred run never loads S3 or
 * CloudFormation), and a cold start does not pay for the rest. Adapters must load their command
 * classes the same way (`await import(...)` where they send), or the package loads at import anyway.
 */
export function lazyClient<C extends SdkClient>(create: () => Promise<C>): C {
  let client: Promise<C> | undefined;
  const lazy: SdkClient = {
    send: async (command, options) => {
      client ??= create();
      return (await client).send(command, options);
    },
    destroy: () => void client?.then((c) => c.destroy()),
  };
  // Only send and destroy are reachable; the adapters use nothing else of a client.
  return lazy as C;
}
