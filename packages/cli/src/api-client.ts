import { CliError, ExitCode, hintFor } from "./errors";

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Return the raw response (for non-JSON bodies such as Markdown or template bytes). */
  raw?: boolean;
}

/** Only what the CLI needs of an HTTP client: one request method that turns failures into CliErrors. */
export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  requestRaw(method: string, path: string, options?: RequestOptions): Promise<Response>;
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/**
 * Talks JSON to a Stackfleet API (or the sandbox's control API, which answers the same error
 * shape). The token is fetched lazily so commands that fail early never mint one.
 */
export function createApiClient(baseUrl: string, token: () => Promise<string | undefined>): ApiClient {
  async function requestRaw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, baseUrl);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const bearer = await token();
    const headers: Record<string, string> = bearer ? { authorization: `Bearer ${bearer}` } : {};
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        ExitCode.unreachable,
        `cannot reach ${url.origin} (${cause?.code ?? cause?.message ?? (e as Error).message})`,
        "is it running? Locally: `npm start`; otherwise pass --api URL or set STACKFLEET_API",
      );
    }
    if (!response.ok) throw await apiError(method, url, response);
    return response;
  }
  return {
    baseUrl,
    requestRaw,
    async request<T>(method: string, path: string, options: RequestOptions = {}) {
      const response = await requestRaw(method, path, options);
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
  };
}

async function apiError(method: string, url: URL, response: Response): Promise<CliError> {
  const text = await response.text();
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // Not our API (a proxy's HTML page, say): report the status and the start of the body.
  }
  const code = body.error?.code ?? `http_${response.status}`;
  const message = body.error?.message ?? (text.slice(0, 200) || response.statusText);
  return new CliError(
    ExitCode.failure,
    `${method} ${url.pathname} → ${response.status} ${code}: ${message}`,
    hintFor(response.status, code),
  );
}
