# objects of the disk layer, one a line
