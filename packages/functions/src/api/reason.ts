import { z } from "@hono/zod-openapi";

/** The optional `{ reason }` body of operator actions; it is recorded on the audit event. */
const ReasonBody = z
  .strictObject({ reason: z.string().max(500).optional() })
  .openapi("Reason", { example: { reason: "canary failures in eu-west-1" } });

export const optionalReason = {
  body: { required: false, content: { "application/json": { schema: ReasonBody } } },
} as const;

/** The body is optional, so it is read by hand: absent is no reason, present must be valid. */
export const reasonOf = async (c: { req: { text(): Promise<string> } }) => {
  const text = await c.req.text();
  return text ? ReasonBody.parse(JSON.parse(text)).reason : undefined;
};
