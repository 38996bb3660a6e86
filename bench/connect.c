/* connect.c: what a kubelet tcpSocket probe does, as a program: open a TCP connection to each
 * port on 127.0.0.1 and close it. The kubelet does this from its own process, so the pod pays
 * nothing; the benchmark measures it to show the size of the work itself.
 *
 * usage: connect PORT...    exits 0 when every port accepted a connection, else 1 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int i, fd, code = 0;

	for (i = 1; i < argc; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((unsigned short)atoi(argv[i]));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			code = 1;
		if (fd >= 0)
			close(fd);
	}
	return code;
}
