/**
 * The CLI end to end on a Redis Cluster (test/cli/suite.ts), reached from a
 * `redis+cluster://host:port,host:port` connection string: a throwaway three-master cluster on
 * free loopback ports, started here and stopped after, legacy rows written through a Cluster client.
 */
import { redisBinariesAvailable, startRedisCluster } from "../support/redis-cluster.js";
import { uniqueSuffix } from "../support/services.js";
import { clusterClient } from "../adapters/fixtures/redis-harness.js";
import { redisCliTarget } from "./redis-target.js";
import { describeCliSuite } from "./suite.js";

describeCliSuite({
  name: "Redis Cluster",
  available: redisBinariesAvailable(),
  async setup() {
    const cluster = await startRedisCluster();
    const client = clusterClient(cluster.ports);
    return redisCliTarget(client, `cli-${uniqueSuffix()}`, {
      // Two seeds of three: the Cluster client finds the third itself.
      url: `redis+cluster://127.0.0.1:${cluster.ports[0]},127.0.0.1:${cluster.ports[1]}`,
      unreachableUrl: "redis+cluster://:secret@127.0.0.1:1,127.0.0.1:2",
      async teardown() {
        client.disconnect();
        await cluster.stop(); // the keys go with the cluster
      },
    });
  },
});
