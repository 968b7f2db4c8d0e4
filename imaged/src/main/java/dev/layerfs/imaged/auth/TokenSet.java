package dev.layerfs.imaged.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The secrets a server accepts, read from a file with one token per line (blank lines and lines
 * starting with {@code #} are skipped). Only SHA-256 hashes are kept, and a presented token is
 * compared with every one of them in constant time, so neither the position of the first wrong
 * byte nor which token matched shows in the answer's timing.
 */
public final class TokenSet {

    /** Shorter tokens are guessable; refuse them rather than run with a weak secret. */
    public static final int MIN_LENGTH = 16;

    private final List<byte[]> hashes;
    private final String first;

    private TokenSet(List<byte[]> hashes, String first) {
        this.hashes = hashes;
        this.first = first;
    }

    /** Reads {@code file}; {@code option} names it in errors ({@code --token-file}). */
    public static TokenSet load(Path file, String option) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e.getMessage());
        }
        List<String> tokens = lines.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException(option + " " + file + " holds no token (one per line)");
        }
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.length() < MIN_LENGTH || !t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException(option + " " + file + ": token " + (i + 1) + " must be at least "
                        + MIN_LENGTH + " printable ASCII characters without spaces");
            }
        }
        return of(tokens);
    }

    public static TokenSet of(List<String> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("a token set needs at least one token");
        }
        return new TokenSet(tokens.stream().map(TokenSet::sha256).toList(), tokens.get(0));
    }

    /** The first token of the file: what this side sends (a node's cluster token, a client's token). */
    public String first() {
        return first;
    }

    /** True if {@code presented} is one of the tokens; every token is compared, whatever the outcome. */
    public boolean matches(String presented) {
        byte[] h = sha256(presented);
        boolean found = false;
        for (byte[] known : hashes) {
            found |= MessageDigest.isEqual(known, h);
        }
        return found;
    }

    public int size() {
        return hashes.size();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
