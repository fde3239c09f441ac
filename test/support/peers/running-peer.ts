/** A real AMQP 1.0 peer listening on loopback, started by the harness. */
export interface RunningPeer {
  readonly host: string;
  readonly port: number;
  /** `amqp://host:port` */
  readonly url: string;
  /** The peer's process id, when it runs as one process (for CPU accounting in benchmarks). */
  readonly pid?: number;
  /** The peer's recent stdout/stderr, to attach to a failing test's message. */
  output(): string;
  /** Stops the peer and everything it started; safe to call more than once. */
  stop(): Promise<void>;
}

/** A RabbitMQ node: SASL PLAIN with these credentials, and ANONYMOUS as the same user. */
export interface RunningRabbitMq extends RunningPeer {
  readonly username: string;
  readonly password: string;
  /** The Erlang node name, for `rabbitmqctl -n`. */
  readonly nodeName: string;
  /** Runs `rabbitmqctl -n NODE ARGS…` against this node (1-2 s each) and returns its stdout; throws on failure. */
  rabbitmqctl(args: readonly string[]): string;
}
