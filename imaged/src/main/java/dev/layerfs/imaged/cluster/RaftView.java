package dev.layerfs.imaged.cluster;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;

/**
 * One member's view of the Raft group, as plain values: its role and term, the leader it knows,
 * its commit and applied index, the current configuration (id to Raft address), and, on the
 * leader, how long ago each follower last answered and each member's commit index.
 */
public record RaftView(String self, String role, long term, String leader, long commitIndex, long appliedIndex,
                       Map<String, String> members, Map<String, Long> followerLastContactMillis,
                       Map<String, Long> memberCommitIndex) {

    public static RaftView of(RaftServer server, RaftGroupId groupId) {
        try {
            RaftServer.Division d = server.getDivision(groupId);
            Map<String, String> members = new TreeMap<>();
            for (RaftPeer p : d.getRaftConf().getCurrentPeers()) {
                members.put(p.getId().toString(), p.getAddress());
            }
            Map<String, Long> contact = new LinkedHashMap<>();
            RoleInfoProto role = d.getInfo().getRoleInfoProto();
            if (role.hasLeaderInfo()) {
                for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
                    contact.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
                }
            }
            Map<String, Long> commits = new TreeMap<>();
            for (CommitInfoProto c : d.getCommitInfos()) {
                commits.put(c.getServer().getId().toStringUtf8(), c.getCommitIndex());
            }
            String leader = d.getInfo().getLeaderId() == null ? null : d.getInfo().getLeaderId().toString();
            return new RaftView(d.getId().toString(), d.getInfo().getCurrentRole().name(), d.getInfo().getCurrentTerm(), leader,
                    d.getRaftLog().getLastCommittedIndex(), d.getInfo().getLastAppliedIndex(), members, contact, commits);
        } catch (IOException e) {
            return new RaftView(server.getId().toString(), "UNKNOWN", -1, null, -1, -1, Map.of(), Map.of(), Map.of());
        }
    }

    public boolean isLeader() {
        return "LEADER".equals(role);
    }
}
