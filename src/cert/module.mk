# objects of the cert layer, one a line
