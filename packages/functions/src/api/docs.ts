import type { Handler } from "hono";
import { escapeHtml, type JsonSchema, renderSchema, schemaAnchor } from "./docs-schema";

/** The parts of an OpenAPI 3.1 document the page shows; anything else is ignored. */
interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths?: Record<string, Record<string, unknown>>;
  components?: {
    schemas?: Record<string, JsonSchema>;
    responses?: Record<string, Response>;
    securitySchemes?: Record<string, { description?: string }>;
  };
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, Response | { $ref: string }>;
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: JsonSchema; example?: unknown }>;
}

const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"] as const;

/**
 * `GET /docs`: the OpenAPI document as one readable HTML page. Rendered on the server with inline
 * styles and no scripts, fonts or CDN assets, so it works for air-gapped developers; the CSP
 * forbids loading anything else.
 */
export function docsPage(document: () => object): Handler {
  let html: string | undefined;
  return (c) => {
    // Routes are all registered before the first request, so the page is rendered once.
    html ??= renderDocs(document() as OpenApiDocument);
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(html);
  };
}

export function renderDocs(doc: OpenApiDocument): string {
  const groups = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? "other";
      groups.set(tag, [...(groups.get(tag) ?? []), renderOperation(method, path, operation)]);
    }
  }
  // The document's tag order is the reader's journey; untagged leftovers go last.
  const declared = (doc.tags ?? []).map((t) => t.name).filter((t) => groups.has(t));
  const tags = [...declared, ...[...groups.keys()].filter((t) => !declared.includes(t)).sort()];
  const about = new Map((doc.tags ?? []).map((t) => [t.name, t.description ?? ""]));
  const schemas = Object.entries(doc.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const title = escapeHtml(doc.info.title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head>
<body><header><h1>${title} <small>${escapeHtml(doc.info.version)}</small></h1>
${doc.info.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ""}
<p>Machine-readable: <a href="openapi.json">openapi.json</a>.${renderSecurityNote(doc)}</p>
<nav>${tags.map((t) => `<a href="#tag-${escapeHtml(t)}">${escapeHtml(t)}</a>`).join(" · ")}${schemas.length ? ` · <a href="#schemas">schemas</a>` : ""}</nav></header>
<main>${tags.map((t) => `<section id="tag-${escapeHtml(t)}"><h2>${escapeHtml(t)}</h2>${about.get(t) ? `<p>${escapeHtml(about.get(t) ?? "")}</p>` : ""}${(groups.get(t) ?? []).join("\n")}</section>`).join("\n")}
${renderSharedResponses(doc)}
${schemas.length ? `<section id="schemas"><h2>Schemas</h2>${schemas.map(([name, schema]) => `<h3 id="${schemaAnchor(name)}">${escapeHtml(name)}</h3><pre>${renderSchema(schema)}</pre>`).join("\n")}</section>` : ""}
</main></body></html>`;
}

function renderSecurityNote(doc: OpenApiDocument): string {
  const bearer = doc.components?.securitySchemes?.bearer;
  return bearer
    ? ` Routes marked 🔒 need <code>Authorization: Bearer &lt;token&gt;</code>${bearer.description ? `: ${escapeHtml(bearer.description)}` : "."}`
    : "";
}

function renderOperation(method: string, path: string, op: Operation): string {
  const locked = op.security?.some((requirement) => Object.keys(requirement).length > 0)
    ? ` <span title="needs a bearer token">🔒</span>`
    : "";
  const parts = [
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code>${locked}</h3>`,
    op.summary ? `<p class="summary">${escapeHtml(op.summary)}</p>` : "",
    op.description ? `<p>${escapeHtml(op.description)}</p>` : "",
  ];
  if (op.parameters?.length) {
    const rows = op.parameters.map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? "" : "?"}</td><td>${escapeHtml(p.in)}</td><td><code>${renderSchema(p.schema)}</code></td><td>${escapeHtml(p.description ?? p.schema?.description ?? "")}</td></tr>`,
    );
    parts.push(
      `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th></th></tr>${rows.join("")}</table>`,
    );
  }
  if (op.requestBody?.content) {
    parts.push(
      `<h4>Request body${op.requestBody.required ? "" : " (optional)"}</h4>${renderContent(op.requestBody.content)}`,
    );
  }
  const responses = Object.entries(op.responses ?? {});
  if (responses.length) {
    parts.push(`<h4>Responses</h4>${responses.map(([status, r]) => renderResponse(status, r)).join("")}`);
  }
  return `<article id="${escapeHtml(`${method}-${path}`.replace(/[^A-Za-z0-9_-]/g, "-"))}">${parts.join("")}</article>`;
}

/** A shared response is a link to its one description under "Responses"; the rest are shown in place. */
function renderResponse(status: string, r: Response | { $ref: string }): string {
  if ("$ref" in r) {
    const name = r.$ref.split("/").pop() ?? r.$ref;
    return `<div class="response"><b>${escapeHtml(status)}</b> <a href="#response-${escapeHtml(name)}">${escapeHtml(name)}</a></div>`;
  }
  return `<div class="response"><b>${escapeHtml(status)}</b> ${escapeHtml(r.description ?? "")}${r.content ? renderContent(r.content) : ""}</div>`;
}

const renderSharedResponses = (doc: OpenApiDocument): string => {
  const shared = Object.entries(doc.components?.responses ?? {});
  if (!shared.length) return "";
  return `<section id="responses"><h2>Responses</h2>${shared
    .map(([name, r]) => `<article id="response-${escapeHtml(name)}">${renderResponse(name, r)}</article>`)
    .join("\n")}</section>`;
};

const renderContent = (content: Record<string, { schema?: JsonSchema; example?: unknown }>): string =>
  Object.entries(content)
    .map(
      ([type, media]) =>
        `<pre><span class="note">${escapeHtml(type)}</span>\n${renderSchema(media.schema)}</pre>${
          media.example === undefined
            ? ""
            : `<pre class="example"><span class="note">example</span>\n${escapeHtml(JSON.stringify(media.example, null, 2))}</pre>`
        }`,
    )
    .join("");

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;color:#1d2330;background:#fff}
h1 small{font-weight:normal;color:#667}h2{border-bottom:2px solid #dde;margin-top:2.5rem;text-transform:capitalize}
article{border:1px solid #dde;border-radius:6px;padding:.25rem 1rem .75rem;margin:1rem 0}
h3{font-size:1.05rem}h4{margin:.75rem 0 .25rem;font-size:.9rem;color:#445}
.method{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem;background:#667}
.get{background:#2a6fb0}.post{background:#2e8b57}.put,.patch{background:#b8860b}.delete{background:#b03a2e}
pre{background:#f5f6fa;padding:.5rem .75rem;border-radius:4px;overflow-x:auto;font-size:.85rem;margin:.25rem 0}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #dde;padding:.2rem .5rem;text-align:left;vertical-align:top}
.note{color:#778}.summary{font-weight:600}.response{margin:.25rem 0}a{color:#2a6fb0}
nav a{margin:0 .15rem}`;
