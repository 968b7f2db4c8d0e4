package dev.layerfs.cli.imaged;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code imaged lease acquire|renew|release|check}: named leases with fencing tokens. A grant's
 * token is the Raft log index of the grant, so it grows with every grant; whoever acts under a
 * lease passes its token, and a stale holder is refused by token.
 */
@Command(name = "lease", mixinStandardHelpOptions = true,
        description = "Named leases with fencing tokens (the token grows with every grant).",
        subcommands = {LeaseCommand.Acquire.class, LeaseCommand.Renew.class, LeaseCommand.Release.class, LeaseCommand.Check.class})
public final class LeaseCommand {

    abstract static class Base implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        OpsServer target = new OpsServer();

        @Parameters(index = "0", paramLabel = "NAME", description = "The lease name.")
        String name;

        String path() {
            return "/leases/" + OpsApi.q(name);
        }

        static void print(JsonNode lease) {
            System.out.printf("lease %s held by %s token %d expires at %d%n", lease.get("name").asText(),
                    lease.get("holder").asText(), lease.get("token").asLong(), lease.get("expiresAt").asLong());
        }
    }

    @Command(name = "acquire", mixinStandardHelpOptions = true, description = "Take the lease unless another holder has it; prints the token.")
    static final class Acquire extends Base {
        @Option(names = "--ttl", required = true, paramLabel = "DURATION", converter = DurationConverter.class,
                description = "How long the grant lasts unless renewed (a bare number is seconds).")
        Duration ttl;

        @Option(names = "--holder", paramLabel = "ID", description = "Who holds it (default: this host's name).")
        String holder;

        @Override
        public Integer call() throws Exception {
            String who = holder != null ? holder : java.net.InetAddress.getLocalHost().getHostName();
            print(target.api().call("POST", path() + "?holder=" + OpsApi.q(who) + "&ttlMs=" + ttl.toMillis(), Duration.ofSeconds(30)));
            return 0;
        }
    }

    @Command(name = "renew", mixinStandardHelpOptions = true, description = "Extend the grant with this token.")
    static final class Renew extends Base {
        @Option(names = "--token", required = true, description = "The grant's token.")
        long token;

        @Option(names = "--ttl", required = true, paramLabel = "DURATION", converter = DurationConverter.class, description = "New duration from now.")
        Duration ttl;

        @Override
        public Integer call() {
            print(target.api().call("PUT", path() + "?token=" + token + "&ttlMs=" + ttl.toMillis(), Duration.ofSeconds(30)));
            return 0;
        }
    }

    @Command(name = "release", mixinStandardHelpOptions = true, description = "Give the lease up.")
    static final class Release extends Base {
        @Option(names = "--token", required = true, description = "The grant's token.")
        long token;

        @Override
        public Integer call() {
            target.api().call("DELETE", path() + "?token=" + token, Duration.ofSeconds(30));
            System.out.println("released lease " + name);
            return 0;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Succeed (exit 0) only if this token is the live grant; ordered in the Raft log like a fenced write.",
                    "With --consistency=local: compared with the answering node's copy of the lease instead, fast and possibly"
                            + " stale: advice, not a fence."})
    static final class Check extends Base {
        @Option(names = "--token", required = true, description = "The grant's token.")
        long token;

        @picocli.CommandLine.Mixin
        ReadOptions read = new ReadOptions();

        @Override
        public Integer call() {
            OpsApi api = target.api();
            if (!read.local()) {
                print(api.call("POST", path() + "/check?token=" + token, Duration.ofSeconds(30), read.headers()));
                return 0;
            }
            JsonNode lease;
            try {
                lease = api.call("GET", path(), Duration.ofSeconds(30), read.headers());
            } catch (dev.layerfs.cli.UserError e) {
                throw new dev.layerfs.cli.UserError("token " + token + " is not the live grant of lease " + name + ": " + e.getMessage(), e);
            }
            if (lease.get("token").asLong() != token) {
                throw new dev.layerfs.cli.UserError("token " + token + " is not the live grant of lease " + name + " (current token "
                        + lease.get("token").asLong() + ", held by " + lease.get("holder").asText() + ")");
            }
            print(lease);
            return 0;
        }
    }
}
