// Every return / reason code the node sends, in one catalog. 3.1.1 CONNACK return codes
// and 5.0 reason codes are separate tables; ConnackCode maps one refusal to both.

/** MQTT 3.1 / 3.1.1 CONNACK return codes (§3.2.2.3). */
export const ConnackReturnCode = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** MQTT 5.0 reason codes (§2.4). */
export const ReasonCode = {
  success: 0x00,
  grantedQos1: 0x01,
  grantedQos2: 0x02,
  normalDisconnection: 0x00,
  disconnectWithWill: 0x04,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUsernameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdentifierInUse: 0x91,
  packetIdentifierNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  payloadFormatInvalid: 0x99,
  serverShuttingDown: 0x8b,
  sharedSubscriptionsNotSupported: 0x9e,
  subscriptionIdentifiersNotSupported: 0xa1,
  wildcardSubscriptionsNotSupported: 0xa2,
} as const;

export type ReasonCodeValue = (typeof ReasonCode)[keyof typeof ReasonCode];

/** SUBACK failure code in 3.1.1 (§3.9.3). */
export const SUBACK_FAILURE = 0x80;

/** The 3.1.1 CONNACK return code closest to a 5.0 CONNACK reason code. */
export function connackReturnCodeFor(reason: number): number {
  switch (reason) {
    case ReasonCode.success:
      return ConnackReturnCode.accepted;
    case ReasonCode.unsupportedProtocolVersion:
      return ConnackReturnCode.unacceptableProtocolVersion;
    case ReasonCode.clientIdentifierNotValid:
      return ConnackReturnCode.identifierRejected;
    case ReasonCode.badUsernameOrPassword:
      return ConnackReturnCode.badUsernameOrPassword;
    case ReasonCode.notAuthorized:
      return ConnackReturnCode.notAuthorized;
    default:
      return ConnackReturnCode.serverUnavailable;
  }
}
