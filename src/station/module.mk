# the station front end: linked into the binary only, beside cli/
STATION_OBJS += src/station/core.o
STATION_OBJS += src/station/key.o
STATION_OBJS += src/station/monitor.o
STATION_OBJS += src/station/words.o
STATION_OBJS += src/station/text.o
STATION_OBJS += src/station/label.o
STATION_OBJS += src/station/ndjson.o
STATION_OBJS += src/station/screen.o
# libncursesw (Debian libncurses-dev): the screen
STATION_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw)
STATION_LIBS := $(shell $(PKG_CONFIG) --libs ncursesw)
