import { InjectionToken, type Provider } from '@angular/core';

/** Where AmqpService connects, and what it subscribes to. */
export interface AmqpConfig {
  /** The broker, AMQP over WebSocket: `ws://host:port[/path]` or `wss://…`. */
  readonly url: string;
  /** The topic the page lists and sends to. */
  readonly topic: string;
  /** The wait before a refused (or failed) link is tried again, in ms. Default {@link DEFAULT_LINK_RETRY_MS}. */
  readonly linkRetryMs?: number;
}

/** Default wait before a refused link is attached again. */
export const DEFAULT_LINK_RETRY_MS = 2000;
/** The WebSocket port `rx-amqp broker --ws` is given in the README. */
export const DEFAULT_WS_PORT = 5673;
export const DEFAULT_TOPIC = 'chat';

export const AMQP_CONFIG = new InjectionToken<AmqpConfig>('AMQP_CONFIG');

/** Provides the config AmqpService reads. */
export function provideAmqp(config: AmqpConfig): Provider {
  return { provide: AMQP_CONFIG, useValue: config };
}

/** `?url=…&topic=…` of the page's address; defaults: ws://<the page's host>:5673, topic `chat`. */
export function amqpConfigFromUrl(href: string): AmqpConfig {
  const page = new URL(href);
  return {
    url: page.searchParams.get('url') ?? `ws://${page.hostname || 'localhost'}:${DEFAULT_WS_PORT}`,
    topic: page.searchParams.get('topic') ?? DEFAULT_TOPIC,
  };
}
