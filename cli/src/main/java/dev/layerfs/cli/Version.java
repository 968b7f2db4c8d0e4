package dev.layerfs.cli;

import picocli.CommandLine.IVersionProvider;

/** Version from the jar manifest, so a build never reports a stale hard-coded number. */
final class Version implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {"layerfs + imaged " + (v != null ? v : "(development build)")};
    }
}
