// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title ATH for development chains
/// @notice A plain ERC-20 the owner can mint. Only local chains (anvil) and test networks deploy it;
/// on a real chain the reward distributor is pointed at the configured ATH token instead.
contract AthToken is ERC20, Ownable {
    constructor(address initialOwner) ERC20("EdgePlay ATH", "ATH") Ownable(initialOwner) {}

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
