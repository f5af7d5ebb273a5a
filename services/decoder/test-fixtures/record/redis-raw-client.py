#!/usr/bin/env python3
# Raw-socket Redis clients for what redis-cli cannot do on one connection: inline commands
# (what a human types in telnet) and a subscriber that goes on after SUBSCRIBE.
# Usage: redis-raw-client.py inline|subscribe|subscribe3 PORT  (subscribe3: after HELLO 3)
import socket, sys, time

mode, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(('127.0.0.1', port))

def send(b: bytes, wait: float = 0.15) -> None:
    s.sendall(b)
    time.sleep(wait)
    s.setblocking(False)
    try:
        while s.recv(65536):
            pass
    except BlockingIOError:
        pass
    s.setblocking(True)

if mode == 'inline':
    send(b'PING\r\n')
    send(b'SET inline:k "hello world"\r\n')
    send(b'GET inline:k\r\n')
    send(b'\r\n')  # an empty line: the server ignores it
    send(b'CLIENT SETNAME telnet-user\r\n')
    send(b'QUIT\r\n')
elif mode in ('subscribe', 'subscribe3'):
    if mode == 'subscribe3':
        send(b'*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n')
    send(b'*3\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n$6\r\nsports\r\n')
    time.sleep(1.0)  # the publisher sends its messages now
    send(b'*1\r\n$4\r\nPING\r\n')
    send(b'*1\r\n$11\r\nUNSUBSCRIBE\r\n')
    send(b'*1\r\n$4\r\nQUIT\r\n')
s.close()
