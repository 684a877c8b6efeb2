FROM local/busybox:latest
RUN echo base > /base.txt
ONBUILD COPY child.txt /onbuild/
ONBUILD RUN echo "trigger ran" > /onbuild/ran.txt
ONBUILD ENV TRIGGERED=yes
ONBUILD LABEL triggered.label=yes
ONBUILD WORKDIR /onbuild
LABEL base.label=1
