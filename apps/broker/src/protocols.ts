// The protocols a node serves: the one place in the node that names them. Everything else
// (listeners, WebSocket selection, /healthz, metrics, shutdown) iterates this list.
import type { EdgeConfig } from '@edgemq/config';
import type { Broker } from '@edgemq/core';
import { MqttServer } from '@edgemq/mqtt';
import type { ProtocolServer } from '@edgemq/transport';
import type { Logger } from './logger.js';

export function createProtocols(
  config: EdgeConfig,
  nodeId: string,
  broker: Broker,
  log: Logger,
): ProtocolServer[] {
  return [
    new MqttServer(
      broker,
      { nodeId, ...config.mqtt, tlsPort: config.tls.mqttsPort },
      log.child({ protocol: 'mqtt' }),
    ),
  ];
}
