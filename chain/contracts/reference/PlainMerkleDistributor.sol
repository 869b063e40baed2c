// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title Reference distributor for the gas benchmark (never deployed for real)
/// @notice The textbook OpenZeppelin cumulative Merkle distributor: same leaves as
/// {RewardDistributor}, claimed totals in their own mapping, proof copied to memory. The
/// settlement benchmark claims from both against the same tree to show what the design saves.
contract PlainMerkleDistributor is Ownable {
    using SafeERC20 for IERC20;

    IERC20 public immutable token;
    bytes32 public merkleRoot;
    mapping(address account => uint256) public claimed;

    event Claimed(address indexed account, uint256 amount);

    error InvalidProof();
    error NothingToClaim();

    constructor(IERC20 token_, address owner_) Ownable(owner_) {
        token = token_;
    }

    function setRoot(bytes32 root) external onlyOwner {
        merkleRoot = root;
    }

    function claim(address account, uint256 cumulativeAmount, bytes32[] memory proof) external {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verify(proof, merkleRoot, leaf)) revert InvalidProof();
        uint256 amount = cumulativeAmount - claimed[account];
        if (amount == 0) revert NothingToClaim();
        claimed[account] = cumulativeAmount;
        emit Claimed(account, amount);
        token.safeTransfer(account, amount);
    }
}
