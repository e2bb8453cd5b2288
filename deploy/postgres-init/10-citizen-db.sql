-- The citizen-request store lives beside the urbanism database in the development stack.
CREATE DATABASE shahr_citizen OWNER shahr;
