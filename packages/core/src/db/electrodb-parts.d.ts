// ElectroDB's own modules, typed as its index types them: the executor imports the Entity and the
// transaction builders from here so that its bundle leaves out the Service (db/lean-service.ts).
declare module "electrodb/src/entity" {
  export { Entity } from "electrodb";
}
declare module "electrodb/src/transaction" {
  export { createGetTransaction, createWriteTransaction } from "electrodb";
}
