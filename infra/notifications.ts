/** Customer and operator notifications leave through this topic; the vendor subscribes its channels. */
export const notifications = new sst.aws.SnsTopic("Notifications");
