/**
 * The fields of a user's message (message.ts's `Message`), by section, in one
 * place: the lazy message's accessors, the unknown-key check, the error path
 * that names the field that failed to encode, and the CLI's JSON output all
 * walk these lists. (message.ts checks they name Message's keys; this file
 * cannot import its type without an import cycle.)
 */

/** The header's fields. */
export const HEADER_FIELDS = ['durable', 'priority', 'ttl', 'firstAcquirer', 'deliveryCount'] as const;

/** The properties section's fields. */
export const PROPERTY_FIELDS = [
  'messageId',
  'userId',
  'to',
  'subject',
  'replyTo',
  'correlationId',
  'contentType',
  'contentEncoding',
  'absoluteExpiryTime',
  'creationTime',
  'groupId',
  'groupSequence',
  'replyToGroupId',
] as const;

/** The sections that are maps, in the order they are encoded. */
export const MAP_SECTIONS = ['deliveryAnnotations', 'messageAnnotations', 'applicationProperties', 'footer'] as const;

/** Every field of a message. */
export const MESSAGE_FIELDS = ['body', 'bodySection', ...HEADER_FIELDS, ...PROPERTY_FIELDS, ...MAP_SECTIONS] as const;
