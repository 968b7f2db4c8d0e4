package dev.layerfs.imaged.meta;

import dev.layerfs.imaged.oci.ErrorCode;
import dev.layerfs.imaged.oci.RegistryException;

/**
 * The result of applying a command: success, or the spec error code that refused it. A refusal is
 * deterministic (every replica refuses the same command the same way) and changes nothing.
 */
public record Outcome(String error, String message, String detail) {

    private static final Outcome OK = new Outcome(null, null, null);

    public static Outcome ok() {
        return OK;
    }

    public static Outcome refused(ErrorCode code, String message, String detail) {
        return new Outcome(code.name(), message, detail);
    }

    /** Success carrying a result (JSON text), e.g. a lease grant or a garbage collection's plan. */
    public static Outcome answer(String json) {
        return new Outcome(null, null, json);
    }

    public boolean succeeded() {
        return error == null;
    }

    /** Throws the refusal as a RegistryException; returns quietly on success. */
    public void orThrow() {
        if (error != null) {
            throw new RegistryException(ErrorCode.valueOf(error), ErrorCode.valueOf(error).status(), message, detail);
        }
    }
}
