// Prints the table behind protocols/kafka/apis.ts from the broker's own kafka-clients jar:
// api key, name, oldest and newest version, first flexible version (request header v2), and the
// response header version at that version (ApiVersions stays 0).
// Usage: java -cp "$HOME/.cache/clovisor/kafka-3.9.1/libs/*" KafkaApiTable.java
import org.apache.kafka.common.protocol.ApiKeys;
public class KafkaApiTable {
  public static void main(String[] a) {
    for (ApiKeys k : ApiKeys.values()) {
      short lo = k.oldestVersion(), hi = k.latestVersion(true);
      int flex = -1;
      for (short v = lo; v <= hi; v++) if (k.requestHeaderVersion(v) >= 2) { flex = v; break; }
      System.out.println(k.id + " " + k.name + " " + lo + " " + hi + " " + flex + " resp0hdr=" + (flex>=0 ? k.responseHeaderVersion((short)flex) : -1));
    }
  }
}
