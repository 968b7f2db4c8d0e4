package dev.layerfs.policy;

/**
 * Picks the writable branch a new name ({@code create=}) or a copy-up ({@code cpup=}) goes to,
 * AUFS style. Implementations are stateless or thread-safe: the union calls them concurrently.
 */
public interface BranchPolicy {

    /** One of {@code choice.candidates()}. */
    int choose(Choice choice);

    /** The option value that selects this policy, e.g. {@code mfsrr:1048576}. */
    String spec();
}
