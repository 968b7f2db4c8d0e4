package dev.layerfs.cli.lxc;

import dev.layerfs.cli.UserError;

import java.util.regex.Pattern;

/**
 * An LXC container name. Restricted to what is safe as a directory name and inside the hook
 * command lines LXC hands to a shell: letters, digits, '.', '_', '-'.
 */
public record ContainerName(String value) {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public ContainerName {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new UserError("invalid container name '" + value
                    + "': use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
