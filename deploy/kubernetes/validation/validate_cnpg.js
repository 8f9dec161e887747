// Validates CloudNativePG resources against the operator's published CRD schemas, as
// compiled by @kubernetes-models/cloudnative-pg. Input: JSON documents on stdin (one array).
// Output: one line per document, "ok <name>" or "error <name>: <message>"; exit 1 on any error.
"use strict";
const kinds = {
  Cluster: require("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster").Cluster,
  Pooler: require("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Pooler").Pooler,
  Backup: require("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Backup").Backup,
  ScheduledBackup: require("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup").ScheduledBackup,
};
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  let failed = false;
  for (const { source, document } of JSON.parse(input)) {
    const Kind = kinds[document.kind];
    try {
      if (!Kind) throw new Error(`no schema for kind ${document.kind}`);
      new Kind(document).validate();
      console.log(`ok ${source}`);
    } catch (error) {
      failed = true;
      console.log(`error ${source}: ${error.message}`);
    }
  }
  process.exit(failed ? 1 : 0);
});
