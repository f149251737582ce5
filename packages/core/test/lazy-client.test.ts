import { describe, expect, it } from "vitest";
import { lazyClient } from "../src/aws/lazy-client";

function fakeClient() {
  const sent: unknown[] = [];
  let destroyed = 0;
  return {
    sent,
    destroyed: () => destroyed,
    send: async (command: unknown) => {
      sent.push(command);
      return { echo: command };
    },
    destroy: () => void destroyed++,
  };
}

describe("lazyClient", () => {
  it("makes the client on the first send, once, and forwards every send to it", async () => {
    const real = fakeClient();
    let made = 0;
    const client = lazyClient(async () => {
      made++;
      return real;
    });
    expect(made).toBe(0);
    const answers = await Promise.all([client.send("a"), client.send("b")]);
    await client.send("c");
    expect(made).toBe(1);
    expect(real.sent).toEqual(["a", "b", "c"]);
    expect(answers).toEqual([{ echo: "a" }, { echo: "b" }]);
  });

  it("destroys the client it made, and makes none just to destroy it", async () => {
    let made = 0;
    const unused = lazyClient(async () => {
      made++;
      return fakeClient();
    });
    unused.destroy();
    expect(made).toBe(0);
    const real = fakeClient();
    const used = lazyClient(async () => real);
    await used.send("x");
    used.destroy();
    await Promise.resolve();
    expect(real.destroyed()).toBe(1);
  });
});
