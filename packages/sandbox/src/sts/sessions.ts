import { randomBytes } from "node:crypto";
import type { Principal } from "../contract";

export type SessionPrincipal = Extract<Principal, { type: "assumed-role" }>;

/** Temporary credentials handed out by AssumeRole, tied to the session they authenticate. */
export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  principal: SessionPrincipal;
}

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** AWS-looking ids: a 4-letter prefix (`ASIA` temporary key, `AROA` role) and 16 base32 chars. */
export function awsId(prefix: string, length = 16): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return id;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  issue(principal: SessionPrincipal): Session {
    const session: Session = {
      accessKeyId: awsId("ASIA"),
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: `sandbox/${randomBytes(48).toString("base64")}`,
      principal,
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  byAccessKey(accessKeyId: string): Session | undefined {
    return this.sessions.get(accessKeyId);
  }
}
