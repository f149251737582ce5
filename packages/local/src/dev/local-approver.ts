import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Deps } from "@stackfleet/core/context";
import type { PinnedKey } from "@stackfleet/core/signing";
import type { Signer } from "@stackfleet/core/signing/signer";
import { versionImages } from "@stackfleet/core/updater/announce";
import { Halts } from "@stackfleet/core/version";

/**
 * `npm start`'s stand-in for the security team: co-signs each broadening version published
 * locally with the local approver key (a second key file, never the release key), so the one-step
 * local publish still updates. In AWS the approver role does this (`stackfleet versions approve`);
 * tests of the refusal turn it off and the executor refuses the version as it would there.
 */
export function localApprover(deps: Deps, signer: Signer, approverKeys: readonly PinnedKey[]) {
  return async (images: Record<string, AttributeValue>[]) => {
    for (const item of versionImages(images)) {
      const manifestBytes = Buffer.from(item.manifest, "base64");
      if (!(JSON.parse(manifestBytes.toString("utf8")) as { broadening?: boolean }).broadening) continue;
      const signature = Buffer.from(await signer.sign(manifestBytes)).toString("base64");
      await Halts.approveVersion(
        deps,
        { approverKeys },
        item.version,
        { keyId: signer.keyId, signature },
        "system:local-approver",
      );
    }
  };
}
