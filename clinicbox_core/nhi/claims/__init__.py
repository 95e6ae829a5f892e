"""Monthly claims XML (門診 t1=10, 藥局 t1=30; spec 1040409): model, build, write, parse."""
