// The protocols a node serves: the one place in the node that names them. Everything else
// (listeners, WebSocket selection, /healthz, metrics, shutdown) iterates this list.
import type { AccessControl } from '@edgemq/access';
import type { EdgeConfig } from '@edgemq/config';
import type { Broker } from '@edgemq/core';
import { MqttServer } from '@edgemq/mqtt';
import type { ProtocolServer } from '@edgemq/transport';
import type { Logger } from './logger.js';

/** `access` is asked by every protocol at connect, publish and subscribe. */
export function createProtocols(
  config: EdgeConfig,
  nodeId: string,
  broker: Broker,
  access: AccessControl,
  log: Logger,
): ProtocolServer[] {
  return [
    new MqttServer(
      broker,
      { nodeId, ...config.mqtt, tlsPort: config.tls.mqttsPort },
      access,
      log.child({ protocol: 'mqtt' }),
    ),
  ];
}
