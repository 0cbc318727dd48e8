import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;

/**
 * Starts DynamoDB Local bound to 127.0.0.1 only. The stock jar has no host flag and listens on
 * every interface, which would expose a development database to the network.
 *
 * It also exits when its standard input closes: the Node process that started it holds the other
 * end, so even a parent killed with SIGKILL leaves no orphan database behind.
 */
public final class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Nothing is ever sent; the read only ends when the parent goes away.
        }
      } catch (java.io.IOException ignored) {
        // A broken pipe means the same as end of input.
      }
      System.exit(0);
    });
    parentWatch.setDaemon(true);
    parentWatch.start();
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server jetty = (Server) serverField.get(proxy);
    for (Connector connector : jetty.getConnectors()) {
      if (connector instanceof AbstractNetworkConnector) {
        ((AbstractNetworkConnector) connector).setHost("127.0.0.1");
      }
    }
    proxy.start();
    proxy.join();
  }
}
