import { execFile, execFileSync } from "node:child_process";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { parseAuthorization, verifySignature } from "../src/server/sigv4";
import { CUSTOMER, config, REGION } from "./helpers";

const run = promisify(execFile);
const STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15";

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const HAS_CURL = has("curl", ["--version"]);
const HAS_BOTOCORE = has("python3", ["-c", "import botocore.session"]);
if (!HAS_CURL) console.warn("[sigv4.test] curl not found: the curl --aws-sigv4 tests are skipped");
if (!HAS_BOTOCORE) console.warn("[sigv4.test] python3 with botocore not found: the botocore test is skipped");

// AWS's published SigV4 test suite (aws-sig-v4-test-suite): fixed key, date and expected signatures.
const SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
function suiteRequest(target: string, signedHeaders: string, signature: string, extraHeaders: string[] = []) {
  const queryAt = target.indexOf("?");
  const auth = parseAuthorization(
    `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  );
  const incoming = {
    method: "GET",
    rawPath: queryAt < 0 ? target : target.slice(0, queryAt),
    rawQuery: queryAt < 0 ? "" : target.slice(queryAt + 1),
    rawHeaders: ["Host", "example.amazonaws.com", "X-Amz-Date", "20150830T123600Z", ...extraHeaders],
    body: Buffer.alloc(0),
  };
  return () => verifySignature(incoming, auth, SUITE_SECRET);
}

describe("SigV4 canonicalisation (AWS test suite)", () => {
  it.each([
    ["get-vanilla", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"],
    [
      "get-vanilla-query-order-key-case",
      "/?Param2=value2&Param1=value1",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    ],
    [
      "get-vanilla-query-order-value",
      "/?Param1=value2&Param1=Value1",
      "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
    ],
    ["get-vanilla-utf8-query", "/?ሴ=bar", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"],
  ])("%s verifies", (_name, target, signature) => {
    expect(suiteRequest(target, "host;x-amz-date", signature)).not.toThrow();
  });

  it("get-header-key-duplicate: a header sent three times is signed as its values joined in order", () => {
    const signature = "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea";
    const lines = ["My-Header1", "value2", "My-Header1", "value2", "My-Header1", "value1"];

    expect(suiteRequest("/", "host;my-header1;x-amz-date", signature, lines)).not.toThrow();
    const reordered = ["My-Header1", "value1", "My-Header1", "value2", "My-Header1", "value2"];
    expect(suiteRequest("/", "host;my-header1;x-amz-date", signature, reordered)).toThrow(/does not match/);
  });

  it("refuses the suite's request when a query value changes", () => {
    const signature = "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500";
    expect(suiteRequest("/?Param2=value2&Param1=value9", "host;x-amz-date", signature)).toThrow(/does not match/);
  });
});

interface Captured {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

/** What curl puts on the wire: run it against a throwaway server that records the request. */
async function captureCurl(args: string[], path = "/"): Promise<Captured> {
  let captured: Captured | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      captured = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await run("curl", ["-s", ...args, `http://127.0.0.1:${port}${path}`]);
  await new Promise((resolve) => server.close(resolve));
  return captured!;
}

/** Sends a captured request, byte for byte (its signed Host included), to the sandbox. */
function replay(endpoint: string, captured: Captured, body = captured.body): Promise<{ status: number; text: string }> {
  const url = new URL(endpoint);
  const headers: string[] = [];
  for (let i = 0; i < captured.rawHeaders.length; i += 2) {
    const name = captured.rawHeaders[i]!;
    headers.push(name, name.toLowerCase() === "content-length" ? String(body.length) : captured.rawHeaders[i + 1]!);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: captured.method, path: captured.url, headers, setHost: false },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("sandbox accepts requests signed by other SigV4 clients", () => {
  let sandbox: Sandbox;
  let user: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
    const customer = sandbox.accounts.find((a) => a.accountId === CUSTOMER)!;
    user = `${customer.accessKeyId}:${customer.secretAccessKey}`;
  });

  afterAll(() => sandbox.stop());

  it.skipIf(!HAS_CURL)("curl --aws-sigv4 (no x-amz-content-sha256) calls STS GetCallerIdentity", async () => {
    const { stdout } = await run("curl", [
      "-s",
      "--aws-sigv4",
      `aws:amz:${REGION}:sts`,
      "--user",
      user,
      "-d",
      STS_BODY,
      `${sandbox.endpoint}/`,
    ]);

    expect(stdout).toContain(`<Account>${CUSTOMER}</Account>`);
  });

  it.skipIf(!HAS_CURL)("a curl-signed request is refused once its body or signed header is tampered with", async () => {
    const signed = await captureCurl(["--aws-sigv4", `aws:amz:${REGION}:sts`, "--user", user, "-d", STS_BODY]);
    expect(signed.rawHeaders.map((h) => h.toLowerCase())).not.toContain("x-amz-content-sha256");

    const asSent = await replay(sandbox.endpoint, signed);
    const otherBody = await replay(sandbox.endpoint, signed, Buffer.from(`${STS_BODY}&Extra=1`));
    const otherDate = await replay(sandbox.endpoint, {
      ...signed,
      rawHeaders: signed.rawHeaders.map((h, i) =>
        signed.rawHeaders[i - 1]?.toLowerCase() === "x-amz-date" ? h.replace(/\d{2}Z$/, "59Z") : h,
      ),
    });

    expect(asSent.status).toBe(200);
    expect(otherBody).toMatchObject({ status: 403, text: expect.stringContaining("SignatureDoesNotMatch") });
    expect(otherDate).toMatchObject({ status: 403, text: expect.stringContaining("SignatureDoesNotMatch") });
  });

  it.skipIf(!HAS_CURL)("curl with the wrong secret is refused", async () => {
    const { stdout } = await run("curl", [
      "-s",
      "--aws-sigv4",
      `aws:amz:${REGION}:sts`,
      "--user",
      `${user.split(":")[0]}:not-the-secret`,
      "-d",
      STS_BODY,
      `${sandbox.endpoint}/`,
    ]);

    expect(stdout).toContain("SignatureDoesNotMatch");
  });

  it.skipIf(!HAS_BOTOCORE)("botocore (the AWS CLI's signer) calls STS and a Scheduler list with a query", async () => {
    const customer = sandbox.accounts.find((a) => a.accountId === CUSTOMER)!;
    await new SchedulerClient(config(sandbox, CUSTOMER)).send(
      new CreateScheduleCommand({
        Name: "boto-a.b_c",
        ScheduleExpression: "at(2030-02-01T00:00:00)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: `arn:aws:lambda:${REGION}:${CUSTOMER}:function:x`, RoleArn: `arn:aws:iam::${CUSTOMER}:role/s` },
      }),
    );
    const script = [
      "import botocore.session, json, sys",
      "s = botocore.session.get_session()",
      "kw = dict(region_name=sys.argv[2], endpoint_url=sys.argv[1])",
      "sts = s.create_client('sts', **kw)",
      "sch = s.create_client('scheduler', **kw)",
      "who = sts.get_caller_identity()['Account']",
      "names = [x['Name'] for x in sch.list_schedules(NamePrefix='boto-a', MaxResults=5)['Schedules']]",
      "print(json.dumps({'account': who, 'names': names}))",
    ].join("\n");

    const { AWS_PROFILE: _profile, ...inherited } = process.env;
    const { stdout } = await run("python3", ["-c", script, sandbox.endpoint, REGION], {
      env: {
        ...inherited,
        AWS_ACCESS_KEY_ID: customer.accessKeyId,
        AWS_SECRET_ACCESS_KEY: customer.secretAccessKey,
        AWS_SESSION_TOKEN: "",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      },
    });

    expect(JSON.parse(stdout)).toEqual({ account: CUSTOMER, names: ["boto-a.b_c"] });
  });
});
