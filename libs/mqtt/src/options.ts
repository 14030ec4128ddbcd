// What the MQTT layer needs to know from config.

export interface MqttOptions {
  nodeId: string;
  maxPacketBytes: number;
  /** 0 = no cap. */
  maxKeepAliveSec: number;
  maxInflight: number;
  maxQueuedMessages: number;
  connectTimeoutMs: number;
}
